import { z } from '@hono/zod-openapi';
import { robotDurationDays, robotName } from '../../lib/names';
import { ROBOT_PERMISSION_NAMES } from '../../lib/robots';
import { text } from '../../lib/text';

export const RobotSchema = z
  .object({
    id: z.uuid(),
    name: z.string().openapi({ example: 'robot$my-project+ci' }),
    harborRobotId: z.number().int(),
    description: z.string().nullable(),
    permissions: z.array(z.string()).nullable().openapi({ description: 'null for robots made before permissions were recorded (onboarding robots: push, pull, delete)' }),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    archived: z.boolean(),
  })
  .openapi('Robot');
export const RevealedSchema = RobotSchema.extend({ secret: z.string().openapi({ description: 'Shown in this answer only; stored encrypted' }) }).openapi('RobotWithSecret');
export const RobotCreateSchema = z
  .object({
    name: robotName.openapi({ example: 'ci', description: "Harbor's robot name rule: lowercase letters and digits joined by single `.`, `_` or `-`; `robot$<project>+<name>` at most 255 characters" }),
    description: text().max(1024).optional(),
    durationDays: robotDurationDays.default(30).openapi({ description: '-1 never expires, else 1–3650 days' }),
    permissions: z.array(z.enum(ROBOT_PERMISSION_NAMES)).min(1).max(ROBOT_PERMISSION_NAMES.length).openapi({ example: ['pull', 'push'] }),
  })
  .strict()
  .openapi('RobotCreate');

export const RobotPageSchema = z.object({ items: z.array(RobotSchema), nextCursor: z.string().nullable() });
