/**
 * What the catalogue learns from an OCI manifest and its config: OCI image annotations, CNCF
 * ModelPack (`application/vnd.cncf.model.*`) and the older `application/vnd.cnai.model.*`
 * naming still seen in the wild. Pure functions.
 */

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciManifest {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  annotations?: Record<string, string>;
}

export type LayerKind = 'weight' | 'dataset' | 'code' | 'doc' | 'config' | 'other';

export interface ModelMetadata {
  isModel: boolean;
  title: string | null;
  description: string | null;
  authors: string | null;
  vendor: string | null;
  licenses: string | null;
  source: string | null;
  revision: string | null;
  created: string | null;
  family: string | null;
  architecture: string | null;
  format: string | null;
  paramSize: string | null;
  precision: string | null;
  capabilities: Record<string, unknown> | null;
  layers: { kind: LayerKind; mediaType: string; digest: string; size: number; filepath: string | null }[];
  /** Annotations that are neither OCI's nor ModelPack's: the user's own labels. */
  labels: Record<string, string>;
}

const MODEL_TYPES = /^application\/vnd\.(cncf|cnai)\.model\./;
/** Whether a config media type is a model's (ModelPack, either naming). */
export const isModelConfig = (mediaType: string | undefined) => MODEL_TYPES.test(mediaType ?? '');
const FILEPATH_KEYS = ['org.cncf.model.filepath', 'org.cnai.model.filepath'];
const OCI = 'org.opencontainers.image.';

function layerKind(mediaType: string): LayerKind {
  const m = /^application\/vnd\.(?:cncf|cnai)\.model\.([a-z]+)/.exec(mediaType);
  if (!m) return 'other';
  const kind = m[1]!;
  return kind === 'weight' || kind === 'dataset' || kind === 'code' || kind === 'doc' || kind === 'config' ? kind : 'other';
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(', ') || null : str(v));

export function extractModelMetadata(manifest: OciManifest, config: unknown = null): ModelMetadata {
  const a = manifest.annotations ?? {};
  const cfg = (config && typeof config === 'object' ? config : {}) as { descriptor?: Record<string, unknown>; config?: Record<string, unknown>; capabilities?: Record<string, unknown> };
  const descriptor = cfg.descriptor ?? {};
  const modelConfig = cfg.config ?? {};
  const isModel = MODEL_TYPES.test(manifest.artifactType ?? '') || MODEL_TYPES.test(manifest.config?.mediaType ?? '');
  const labels = Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith(OCI) && !k.startsWith('org.cncf.model.') && !k.startsWith('org.cnai.model.')));
  return {
    isModel,
    title: str(a[`${OCI}title`]) ?? str(descriptor.name),
    description: str(a[`${OCI}description`]) ?? str(descriptor.description),
    authors: str(a[`${OCI}authors`]) ?? list(descriptor.authors),
    vendor: str(a[`${OCI}vendor`]) ?? str(descriptor.vendor),
    licenses: str(a[`${OCI}licenses`]) ?? list(descriptor.licenses),
    source: str(a[`${OCI}source`]) ?? str(descriptor.sourceURL),
    revision: str(a[`${OCI}revision`]) ?? str(descriptor.revision),
    created: str(a[`${OCI}created`]) ?? str(descriptor.createdAt),
    family: str(descriptor.family),
    architecture: str(modelConfig.architecture),
    format: str(modelConfig.format),
    paramSize: str(modelConfig.paramSize),
    precision: str(modelConfig.precision),
    capabilities: cfg.capabilities && typeof cfg.capabilities === 'object' ? cfg.capabilities : null,
    layers: (manifest.layers ?? []).map((l) => ({
      kind: layerKind(l.mediaType),
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      filepath: FILEPATH_KEYS.map((k) => l.annotations?.[k]).find((v) => v !== undefined) ?? null,
    })),
    labels,
  };
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export const isSemver = (tag: string) => SEMVER.test(tag);

/** Semantic-version order (pre-releases before their release); non-semver tags after all versions, by name. */
export function compareTags(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return x ? -1 : y ? 1 : a.localeCompare(b);
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  const [pa, pb] = [x[4], y[4]];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const ia = pa.split('.');
  const ib = pb.split('.');
  for (let i = 0; i < Math.max(ia.length, ib.length); i++) {
    const [u, v] = [ia[i], ib[i]];
    if (u === undefined) return -1;
    if (v === undefined) return 1;
    const [nu, nv] = [/^\d+$/.test(u), /^\d+$/.test(v)];
    if (nu && nv && Number(u) !== Number(v)) return Number(u) - Number(v);
    if (nu !== nv) return nu ? -1 : 1;
    if (u !== v) return u < v ? -1 : 1;
  }
  return 0;
}

/**
 * The catalogue's model type (model_types.code) from ModelPack capabilities: input and output
 * types, e.g. text → text is text generation. `unknown` when the artifact does not say.
 */
export function modelTypeCode(capabilities: Record<string, unknown> | null): string {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase()) : []);
  const inputs = list(capabilities?.inputTypes);
  const outputs = list(capabilities?.outputTypes);
  if (outputs.includes('embedding') || outputs.includes('embeddings')) return 'embedding';
  if (outputs.includes('video')) return 'text-to-video';
  if (outputs.includes('image')) return inputs.includes('image') ? 'image-to-image' : 'text-to-image';
  if (outputs.includes('audio') || inputs.includes('audio')) return 'speech';
  if (outputs.includes('label') || outputs.includes('class')) return 'classification';
  if (outputs.includes('text')) return 'text-generation';
  return 'unknown';
}
