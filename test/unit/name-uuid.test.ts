import { describe, expect, it } from 'vitest';
import { nameUuid } from '../../lib/name-uuid';

describe('nameUuid', () => {
  it('is a version 5, RFC 9562 variant UUID, the same for the same name and different for another', () => {
    const id = nameUuid('webhook:1:sha256:ab:added');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameUuid('webhook:1:sha256:ab:added')).toBe(id);
    expect(nameUuid('webhook:1:sha256:ab:archived')).not.toBe(id);
  });
});
