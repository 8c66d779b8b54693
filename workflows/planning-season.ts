/**
 * The planning season (annual plans by 31 March, DOMAIN §7), in workflows/planning-season/:
 * workflow.ts (one county and year: reminders from 1 March, the ladder after 31 March), notices.ts
 * (what it says to whom) and launch.ts (the yearly start of every county's season). This module is
 * the one the rest imports.
 */
export { getPlanningSeasonQuery, planningSeason, type PlanningSeasonView, type SeasonCarry } from './planning-season/workflow.js';
export { planningSeasonLaunch, type PlanningSeasonLaunchResult } from './planning-season/launch.js';
