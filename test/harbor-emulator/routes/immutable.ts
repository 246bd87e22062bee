import type { Context, Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, type EmulatorContext, notFound, operation, paged } from '../context';
import type { ImmutableRuleState } from '../state';
import { project } from './projects';

type Rule = HarborSchemas['ImmutableRule'];

/** Harbor's limit of tag immutability rules per project (src/pkg/immutable/model). */
const MAX_RULES = 15;

/** The rule as Harbor answers it: without the project it is filed under. */
const toRule = ({ projectId: _projectId, ...rule }: ImmutableRuleState): Rule => rule;

/**
 * Tag immutability rules per project, as Harbor's ImmutableRules API keeps them: a repository scope
 * selector and a tag selector (doublestar `repoMatches`/`repoExcludes`, `matches`/`excludes`).
 * What they make immutable is applied by immutable.ts.
 */
export function immutableRoutes(app: Hono, ctx: EmulatorContext) {
  const base = '/projects/:project_name_or_id/immutabletagrules';
  const body = async (c: Context): Promise<Rule> => {
    const rule = (await c.req.json()) as Rule;
    if (!rule.tag_selectors?.[0]?.pattern || !rule.scope_selectors?.repository?.[0]?.pattern) throw badRequest('a tag immutability rule needs a tag selector and a repository scope selector with patterns');
    for (const s of rule.tag_selectors) if (s.decoration !== 'matches' && s.decoration !== 'excludes') throw badRequest(`invalid tag selector decoration ${s.decoration}`);
    for (const s of rule.scope_selectors.repository) if (s.decoration !== 'repoMatches' && s.decoration !== 'repoExcludes') throw badRequest(`invalid repository selector decoration ${s.decoration}`);
    return rule;
  };
  const ruleOf = (c: Context, projectId: number) => {
    const rule = ctx.state.immutableRules.get(Number(c.req.param('immutable_rule_id')));
    if (!rule || rule.projectId !== projectId) throw notFound(`immutable tag rule ${c.req.param('immutable_rule_id')} not found`);
    return rule;
  };

  app.get(base, operation(ctx, 'ListImmuRules', (c) => {
    const p = project(ctx, c);
    return paged(c, [...ctx.state.immutableRules.values()].filter((r) => r.projectId === p.project.project_id).map(toRule));
  }));

  app.post(base, operation(ctx, 'CreateImmuRule', async (c) => {
    const p = project(ctx, c);
    const rule = await body(c);
    const projectId = p.project.project_id!;
    if ([...ctx.state.immutableRules.values()].filter((r) => r.projectId === projectId).length >= MAX_RULES) throw badRequest(`a project can have at most ${MAX_RULES} immutable tag rules`);
    const id = ctx.state.nextId();
    ctx.state.immutableRules.set(id, { action: 'immutable', template: 'immutable_template', params: {}, ...rule, id, projectId, disabled: rule.disabled ?? false, priority: rule.priority ?? 0 });
    return { status: 201, headers: { location: `/api/v2.0/projects/${c.req.param('project_name_or_id')}/immutabletagrules/${id}` } };
  }));

  app.put(`${base}/:immutable_rule_id`, operation(ctx, 'UpdateImmuRule', async (c) => {
    const p = project(ctx, c);
    const existing = ruleOf(c, p.project.project_id!);
    // A full replacement: the portal's enable/disable sends the whole rule with `disabled` changed.
    const rule = await body(c);
    ctx.state.immutableRules.set(existing.id, { ...existing, ...rule, disabled: rule.disabled ?? false, id: existing.id, projectId: existing.projectId });
    return { status: 200 };
  }));

  app.delete(`${base}/:immutable_rule_id`, operation(ctx, 'DeleteImmuRule', (c) => {
    const p = project(ctx, c);
    ctx.state.immutableRules.delete(ruleOf(c, p.project.project_id!).id);
    return { status: 200 };
  }));
}
