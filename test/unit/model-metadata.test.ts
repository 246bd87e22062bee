import { describe, expect, it } from 'vitest';
import { compareTags, extractModelMetadata, isSemver } from '../../lib/model-metadata';

// The manifest and config test/harbor/oci-push.ts really pushes (ModelPack v1 naming).
const modelpack = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  artifactType: 'application/vnd.cncf.model.manifest.v1+json',
  config: { mediaType: 'application/vnd.cncf.model.config.v1+json', digest: 'sha256:c0', size: 321 },
  layers: [
    { mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: 'sha256:w0', size: 4096, annotations: { 'org.cncf.model.filepath': 'model.safetensors' } },
    { mediaType: 'application/vnd.cncf.model.dataset.v1.tar', digest: 'sha256:d0', size: 10, annotations: { 'org.cncf.model.filepath': 'data/train.jsonl' } },
    { mediaType: 'application/vnd.cncf.model.doc.v1.raw', digest: 'sha256:r0', size: 80, annotations: { 'org.cncf.model.filepath': 'README.md' } },
  ],
  annotations: {
    'org.opencontainers.image.title': 'llama-ft',
    'org.opencontainers.image.authors': 'ML Team <ml@acme.example>',
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.created': '2026-11-01T00:00:00Z',
    'acme.io/team': 'vision',
  },
};
const config = {
  descriptor: { name: 'llama-ft', family: 'llama', version: '1.2.0', authors: ['ML Team'], licenses: ['Apache-2.0'], vendor: 'Acme', description: 'fine-tuned' },
  config: { architecture: 'transformer', format: 'safetensors', paramSize: '8b', precision: 'bf16' },
  capabilities: { inputTypes: ['text'], outputTypes: ['text'] },
};

describe('model metadata from OCI manifests', () => {
  it('reads OCI annotations, the ModelPack config and layer kinds with file paths; other annotations are labels', () => {
    const m = extractModelMetadata(modelpack, config);
    expect(m).toMatchObject({
      isModel: true,
      title: 'llama-ft',
      description: 'fine-tuned',
      authors: 'ML Team <ml@acme.example>',
      vendor: 'Acme',
      licenses: 'Apache-2.0',
      created: '2026-11-01T00:00:00Z',
      family: 'llama',
      architecture: 'transformer',
      format: 'safetensors',
      paramSize: '8b',
      precision: 'bf16',
      capabilities: { inputTypes: ['text'], outputTypes: ['text'] },
      labels: { 'acme.io/team': 'vision' },
    });
    expect(m.layers.map((l) => [l.kind, l.filepath])).toEqual([
      ['weight', 'model.safetensors'],
      ['dataset', 'data/train.jsonl'],
      ['doc', 'README.md'],
    ]);
  });

  it('understands the older vnd.cnai naming and plain images', () => {
    const legacy = extractModelMetadata({
      config: { mediaType: 'application/vnd.cnai.model.config.v1.0+json', digest: 'sha256:c', size: 1 },
      layers: [{ mediaType: 'application/vnd.cnai.model.weight.v1.tar', digest: 'sha256:w', size: 1, annotations: { 'org.cnai.model.filepath': 'w.bin' } }],
    });
    expect(legacy).toMatchObject({ isModel: true, layers: [{ kind: 'weight', filepath: 'w.bin' }] });
    const image = extractModelMetadata({ config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:c', size: 1 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:l', size: 1 }] });
    expect(image).toMatchObject({ isModel: false, title: null, layers: [{ kind: 'other', filepath: null }] });
  });
});

describe('tag ordering', () => {
  it('orders semantic versions, pre-releases before releases, non-semver tags kept and last', () => {
    const tags = ['latest', '1.10.0', '1.2.0', '1.2.0-rc.1', '1.2.0-alpha', '0.9.1', 'v2.0.0', '1.2.0-rc.10', 'nightly'];
    expect([...tags].sort(compareTags)).toEqual(['0.9.1', '1.2.0-alpha', '1.2.0-rc.1', '1.2.0-rc.10', '1.2.0', '1.10.0', 'v2.0.0', 'latest', 'nightly']);
    expect(isSemver('1.2.3')).toBe(true);
    expect(isSemver('latest')).toBe(false);
    expect(isSemver('1.2')).toBe(false);
  });
});
