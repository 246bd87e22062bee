import type { checkpoints } from '../schema';
import { isoTime } from '../../lib/time';

export interface CheckpointRecord {
  id: string;
  name: string;
  tag: string;
  uri: string;
  format: string | null;
  framework: string | null;
  step: number | null;
  epoch: number | null;
  metrics: Record<string, number> | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export const toCheckpointRecord = (row: typeof checkpoints.$inferSelect): CheckpointRecord => ({
  id: row.id,
  name: row.name,
  tag: row.tag,
  uri: row.uri,
  format: row.format,
  framework: row.framework,
  step: row.step,
  epoch: row.epoch,
  metrics: row.metrics,
  description: row.description,
  createdAt: isoTime(row.createdAt) ?? row.createdAt,
  updatedAt: isoTime(row.updatedAt) ?? row.updatedAt,
});
