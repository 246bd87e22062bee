import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes; temporal-dev.sh and the test server register the same names. */
export const TenantName = defineSearchAttributeKey('TenantName', SearchAttributeType.KEYWORD);
export const ProjectName = defineSearchAttributeKey('ProjectName', SearchAttributeType.KEYWORD);
export const ModelName = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const OperationKind = defineSearchAttributeKey('OperationKind', SearchAttributeType.KEYWORD);
