import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes (ARCHITECTURE §5), within the SQL visibility budget of 10 Keyword,
 * 3 Datetime, 3 Int, 3 Bool per namespace. Registered by scripts/dev-stack.ts and docker-compose.yml.
 * Never personal data: these are stored unencrypted.
 */
export const SA = {
  County: defineSearchAttributeKey('County', SearchAttributeType.KEYWORD),
  Scenario: defineSearchAttributeKey('Scenario', SearchAttributeType.KEYWORD),
  Department: defineSearchAttributeKey('Department', SearchAttributeType.KEYWORD),
  LeadDepartment: defineSearchAttributeKey('LeadDepartment', SearchAttributeType.KEYWORD),
  MatterId: defineSearchAttributeKey('MatterId', SearchAttributeType.KEYWORD),
  MatterStage: defineSearchAttributeKey('MatterStage', SearchAttributeType.KEYWORD),
  TaskState: defineSearchAttributeKey('TaskState', SearchAttributeType.KEYWORD),
  DueAt: defineSearchAttributeKey('DueAt', SearchAttributeType.DATETIME),
  Overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
  EscalationLevel: defineSearchAttributeKey('EscalationLevel', SearchAttributeType.INT),
} as const;

/** `--search-attribute Name=Type` arguments for `temporal server start-dev` and `operator`. */
export const searchAttributeRegistrations: { name: string; type: 'Keyword' | 'Datetime' | 'Bool' | 'Int' }[] = [
  { name: 'County', type: 'Keyword' },
  { name: 'Scenario', type: 'Keyword' },
  { name: 'Department', type: 'Keyword' },
  { name: 'LeadDepartment', type: 'Keyword' },
  { name: 'MatterId', type: 'Keyword' },
  { name: 'MatterStage', type: 'Keyword' },
  { name: 'TaskState', type: 'Keyword' },
  { name: 'DueAt', type: 'Datetime' },
  { name: 'Overdue', type: 'Bool' },
  { name: 'EscalationLevel', type: 'Int' },
];
