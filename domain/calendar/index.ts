// The working-day calendar and statutory time limits (DOMAIN §4). Pure: safe to import from workflows.
export * from './calendar.js';
export * from './data.js';
export * from './rules.js';
