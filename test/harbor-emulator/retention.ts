import type { HarborSchemas } from '../../activities/harbor';
import { readRepository, type RepositoryContents } from './artifacts';
import type { EmulatorContext } from './context';
import { deleteArtifact } from './deletion';
import { isImmutable, repositorySelected, tagsSelected } from './immutable';
import type { ProjectState, RetentionExecutionState, RetentionTaskState } from './state';

type Rule = HarborSchemas['RetentionRule'];

/** One artifact as Harbor's retention job sees it (src/pkg/retention/dep/client.go `GetCandidates`). */
interface Candidate {
  entry: RepositoryContents['artifacts'][number];
  tags: string[];
  /** Seconds, the latest of the artifact's and its tags' times (Go's zero time for never). */
  pushed: number;
  pulled: number;
}

const seconds = (iso: string | undefined) => Math.floor(Date.parse(iso ?? '0001-01-01T00:00:00Z') / 1000);

/** The rule templates Harbor's retention offers that the emulator evaluates, with Harbor's semantics (src/pkg/retention/policy/rule). */
function evaluate(rule: Rule, candidates: Candidate[], nowMs: number): Candidate[] {
  const param = Number((rule.params as Record<string, unknown> | undefined)?.[rule.template ?? ''] ?? 0);
  const since = (days: number) => Math.floor((nowMs - days * 24 * 3600 * 1000) / 1000);
  switch (rule.template) {
    case 'always':
      return candidates;
    case 'latestPushedK':
      return [...candidates].sort((a, b) => b.pushed - a.pushed).slice(0, Math.max(0, param));
    case 'nDaysSinceLastPush':
      return candidates.filter((c) => c.pushed >= since(param));
    case 'nDaysSinceLastPull':
      return candidates.filter((c) => c.pulled >= since(param));
    default:
      throw new Error(`retention rule template ${rule.template} is not emulated`);
  }
}

/** Which repositories of the project each enabled rule applies to (src/pkg/retention/launcher.go). */
async function rulesByRepository(ctx: EmulatorContext, p: ProjectState, rules: Rule[]): Promise<Map<string, Rule[]>> {
  const names = (await ctx.oci.repositories()).filter((r) => r.startsWith(`${p.project.name}/`));
  const live: string[] = [];
  for (const name of names) if ((await readRepository(ctx, name)).artifacts.length > 0) live.push(name);
  const out = new Map<string, Rule[]>();
  for (const rule of rules) {
    if (rule.disabled) continue;
    const selected = live.filter((name) => (rule.scope_selectors?.repository ?? []).every((s) => repositorySelected(s, name.slice(p.project.name!.length + 1))));
    for (const name of selected) out.set(name, [...(out.get(name) ?? []), rule]);
  }
  return out;
}

const formatTime = (s: number) => (s <= 0 ? '' : new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ').replaceAll('-', '/'));

/**
 * Runs a retention execution as Harbor's job service does: one task per repository a rule applies
 * to; per task every artifact is a candidate, each rule keeps what its tag selectors and template
 * select, the union is retained (`or`), everything else is deleted unless one of its tags is
 * immutable (a dry run deletes nothing and reports the same); the job log has Harbor's table; a
 * real run's task that deleted something sends TAG_RETENTION.
 */
export async function runRetention(ctx: EmulatorContext, policy: HarborSchemas['RetentionPolicy'], execution: RetentionExecutionState, stopped: () => boolean): Promise<void> {
  const p = [...ctx.state.projects.values()].find((x) => x.project.project_id === policy.scope?.ref);
  const byRepository = p ? await rulesByRepository(ctx, p, policy.rules ?? []) : new Map<string, Rule[]>();
  const tasks: RetentionTaskState[] = [...byRepository.keys()].map((repository) => {
    const id = ctx.state.nextId();
    const t: RetentionTaskState = {
      task: { id, execution_id: execution.id, repository: repository.slice(repository.indexOf('/') + 1), job_id: id.toString(16).padStart(24, '0'), status: 'Pending', status_code: 0, status_revision: 0, start_time: ctx.clock.now(), end_time: '', total: 0, retained: 0 },
      log: [],
    };
    ctx.state.retentionTasks.set(id, t);
    return t;
  });
  for (const [i, t] of tasks.entries()) {
    if (stopped()) {
      t.task = { ...t.task, status: 'Stopped', status_code: 3, end_time: ctx.clock.now() };
      continue;
    }
    const repository = [...byRepository.keys()][i]!;
    t.task = { ...t.task, status: 'Running', status_code: 2 };
    await runTask(ctx, p!, repository, byRepository.get(repository)!, execution, t);
  }
  const statuses = tasks.map((t) => t.task.status);
  const status = statuses.includes('Error') ? 'Error' : statuses.includes('Stopped') || stopped() ? 'Stopped' : 'Success';
  Object.assign(execution, { status, end_time: ctx.clock.now() });
}

async function runTask(ctx: EmulatorContext, p: ProjectState, repository: string, rules: Rule[], execution: RetentionExecutionState, t: RetentionTaskState): Promise<void> {
  const log = (message: string) => t.log.push(`${ctx.clock.now()} [INFO] ${message}`);
  log(`Run retention process.\n Repository: ${repository} \n Rule Algorithm: or \n Dry Run: ${execution.dry_run}`);
  const contents = await readRepository(ctx, repository);
  const candidates: Candidate[] = contents.artifacts.map((entry) => {
    const known = ctx.state.artifact(repository, entry.manifest.digest, ctx.clock.now());
    const tagTimes = (times: Map<string, string>) => entry.tags.map((tag) => seconds(times.get(`${repository}:${tag}`)));
    return {
      entry,
      tags: entry.tags,
      pushed: Math.max(seconds(known.pushTime), ...tagTimes(ctx.state.tagPushTimes)),
      pulled: Math.max(seconds(known.pullTime), ...tagTimes(ctx.state.tagPullTimes)),
    };
  });
  log(`Load ${candidates.length} candidates from repository ${repository}`);
  const retained = new Set<Candidate>();
  for (const rule of rules) {
    let selected = candidates;
    for (const s of rule.tag_selectors ?? []) selected = selected.filter((c) => tagsSelected(s, c.tags));
    for (const c of evaluate(rule, selected, ctx.clock.nowMs())) retained.add(c);
  }
  const marks = new Map<Candidate, 'RETAIN' | 'DEL' | 'IMMUTABLE' | 'ERR'>();
  const deleted: Candidate[] = [];
  for (const c of candidates) {
    if (retained.has(c)) marks.set(c, 'RETAIN');
    else if (c.tags.some((tag) => isImmutable(ctx.state, p.project.project_id!, repository, tag))) marks.set(c, 'IMMUTABLE');
    else {
      marks.set(c, 'DEL');
      deleted.push(c);
      if (!execution.dry_run) await deleteArtifact(ctx, p, repository, c.entry, contents, execution.operator);
    }
  }
  const header = '| Digest | Tag | Kind | Labels | PushedTime | PulledTime | CreatedTime | Retention |';
  const rows = candidates.map((c) => `| ${c.entry.manifest.digest} | ${c.tags.join(',')} | image |  | ${formatTime(c.pushed)} | ${formatTime(c.pulled)} | ${formatTime(seconds(ctx.state.artifact(repository, c.entry.manifest.digest, ctx.clock.now()).pushTime))} | ${marks.get(c)} |`);
  log(`\n${[header, ...rows].join('\n')}`);
  t.task = { ...t.task, status: 'Success', status_code: 3, end_time: ctx.clock.now(), total: candidates.length, retained: candidates.length - deleted.length };
  if (!execution.dry_run && deleted.length > 0) {
    ctx.webhooks.emit({ id: p.project.project_id!, policies: p.webhookPolicies }, 'TAG_RETENTION', execution.operator, {
      retention: {
        total: candidates.length,
        retained: candidates.length - deleted.length,
        harbor_hostname: ctx.registryAddress().split(':')[0],
        project_name: p.project.name,
        retention_policy_id: execution.policy_id,
        retention_rule: rules.map((r) => ({ template: r.template, params: r.params, tag_selectors: r.tag_selectors, scope_selectors: r.scope_selectors })),
        result: 'SUCCESS',
        deleted_artifact: deleted.map((c) => ({
          type: 'image',
          status: 'SUCCESS',
          name_tag: c.tags[0] ? `${repository.slice(repository.indexOf('/') + 1)}:${c.tags[0]}` : `${repository.slice(repository.indexOf('/') + 1)}@${c.entry.manifest.digest}`,
          references: null,
        })),
      },
    });
  }
}
