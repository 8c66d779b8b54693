/**
 * The approval follow-up's messages (imported by the API and the tests). The check itself is the
 * competent department's own department task, worked through the task routes (sign, submit with
 * one of the check's outcome codes, extensions), so the follow-up has no updates of its own.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ApprovalView } from '../../domain/approval.js';

export const getApprovalFollowUpQuery = defineQuery<ApprovalView>('getApprovalFollowUp');
