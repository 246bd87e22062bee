/** Reads what the real OCI registry holds: the emulator never invents digests, sizes or annotations. */

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  size: number;
  manifest: Manifest;
}

export function createOciReader(registryUrl: string) {
  const base = registryUrl.replace(/\/+$/, '');
  return {
    /** The whole catalog, following the registry's `Link` pagination (it caps a page at 1000). */
    async repositories(): Promise<string[]> {
      const names: string[] = [];
      let next: string | null = '/v2/_catalog?n=1000';
      while (next) {
        const res: Response = await fetch(`${base}${next}`);
        if (!res.ok) throw new Error(`registry catalog: ${res.status}`);
        names.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []));
        next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
      }
      return names;
    },
    async tags(repository: string): Promise<string[]> {
      const res = await fetch(`${base}/v2/${repository}/tags/list`);
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`registry tags of ${repository}: ${res.status}`);
      return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
    },
    async manifest(repository: string, reference: string): Promise<FetchedManifest | null> {
      const res = await fetch(`${base}/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`registry manifest ${repository}@${reference}: ${res.status}`);
      const text = await res.text();
      const manifest = JSON.parse(text) as Manifest;
      return {
        digest: res.headers.get('docker-content-digest') ?? reference,
        mediaType: res.headers.get('content-type') ?? manifest.mediaType ?? '',
        size: Buffer.byteLength(text),
        manifest,
      };
    },
    /** The manifest's exact bytes, for re-tagging without changing its digest. */
    async rawManifest(repository: string, reference: string): Promise<{ body: string; mediaType: string } | null> {
      const res = await fetch(`${base}/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`registry manifest ${repository}@${reference}: ${res.status}`);
      return { body: await res.text(), mediaType: res.headers.get('content-type') ?? '' };
    },
    async putManifest(repository: string, reference: string, manifest: { body: string; mediaType: string }): Promise<void> {
      const res = await fetch(`${base}/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': manifest.mediaType }, body: manifest.body });
      if (!res.ok) throw new Error(`registry put manifest ${repository}:${reference}: ${res.status}`);
    },
    async blobJson(repository: string, digest: string): Promise<unknown> {
      const res = await fetch(`${base}/v2/${repository}/blobs/${digest}`);
      if (!res.ok) throw new Error(`registry blob ${repository}@${digest}: ${res.status}`);
      return res.json();
    },
    /** Removes the blob's link from the repository (distribution's blob DELETE); a GET there then 404s. */
    async deleteBlob(repository: string, digest: string): Promise<void> {
      const res = await fetch(`${base}/v2/${repository}/blobs/${digest}`, { method: 'DELETE' });
      if (!res.ok && res.status !== 404) throw new Error(`registry delete blob ${repository}@${digest}: ${res.status}`);
      await res.body?.cancel();
    },
    async deleteManifest(repository: string, digest: string): Promise<void> {
      const res = await fetch(`${base}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
      if (!res.ok && res.status !== 404) throw new Error(`registry delete ${repository}@${digest}: ${res.status}`);
    },
  };
}

export type OciReader = ReturnType<typeof createOciReader>;
