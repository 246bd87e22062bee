/** Pull tokens of the virtual registries' pull endpoint (issue #16): the types the API, workflows and activities share. */

/** Every pull token starts so: the pull path tells it from a JWT, and secret scanners can find a leaked one. */
export const PULL_TOKEN_PREFIX = 'mrpt_';

export const isPullToken = (token: string) => token.startsWith(PULL_TOKEN_PREFIX);

/** At most this many virtual registries in one token's list. */
export const MAX_PULL_TOKEN_REGISTRIES = 100;

export interface PullTokenSpec {
  tenant: string;
  name: string;
  description?: string;
  /** Days until it expires; absent or -1: never. */
  durationDays?: number;
  /** Names of the tenant's virtual registries it may pull from; absent: all of them. */
  virtualRegistries?: string[];
}
