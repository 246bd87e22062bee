import { globMatches, type LocationStatus, type ReplicationDirection } from './replication';

/** A tag and the digest it points to, on one side of a replication. */
export interface SideVersion {
  tag: string;
  digest: string;
}

export interface TaskLocation {
  tag: string;
  localDigest: string | null;
  remoteDigest: string | null;
  status: LocationStatus;
  detail: string | null;
}

/**
 * The repository a Harbor task names: Harbor writes `<repository> [<n> item(s) in total]` (its
 * `getResourceName` in src/controller/replication/flow), never the tags, so what a task copied is
 * read from both registries afterwards.
 */
export function taskRepository(resource: string | undefined): string | null {
  const name = resource?.replace(/\s*\[\d+ item\(s\) in total\]\s*$/, '').trim();
  return name ? name : null;
}

/**
 * Where each version of one repository stands after a finished task of a rule's execution, from
 * the tags both sides serve now. The source side's tags matching the rule's tag filter are the ones
 * the task was to copy: the same digest on both sides is `present`; another digest there after a
 * successful task is `mismatch` (the rule does not override); after a failed task, anything not
 * already there is `failed`. A source tag the destination lacks after a successful task appeared
 * after the execution read its source and is left out.
 */
export function locationsOfTask(input: {
  direction: ReplicationDirection;
  succeeded: boolean;
  local: SideVersion[];
  remote: SideVersion[];
  tagFilter?: string;
  taskDetail: string;
}): TaskLocation[] {
  const push = input.direction === 'push';
  const [source, destination] = push ? [input.local, input.remote] : [input.remote, input.local];
  const there = new Map(destination.map((v) => [v.tag, v.digest]));
  const out: TaskLocation[] = [];
  for (const v of source.filter((s) => globMatches(input.tagFilter ?? '**', s.tag)).sort((a, b) => a.tag.localeCompare(b.tag))) {
    const copy = there.get(v.tag);
    const sides = (copyDigest: string | null) => (push ? { localDigest: v.digest, remoteDigest: copyDigest } : { localDigest: copyDigest, remoteDigest: v.digest });
    if (copy === v.digest) out.push({ tag: v.tag, ...sides(copy), status: 'present', detail: null });
    else if (!input.succeeded) out.push({ tag: v.tag, ...sides(copy ?? null), status: 'failed', detail: input.taskDetail });
    else if (copy !== undefined) out.push({ tag: v.tag, ...sides(copy), status: 'mismatch', detail: `${push ? 'the remote' : 'this project'} keeps ${v.tag} as ${copy}, the source has ${v.digest}; left alone (the rule does not override)` });
    // A pull lands in Harbor before the catalogue imports it: Harbor copied the manifest unchanged.
    else if (!push) out.push({ tag: v.tag, localDigest: v.digest, remoteDigest: v.digest, status: 'present', detail: null });
  }
  return out;
}
