import { describe, expect, it } from 'vitest';
import { membersChange } from '../../lib/membership';

describe('membersChange', () => {
  it('names who a change adds to and removes from each role, whatever already happened to Keycloak', () => {
    const before = { developer: ['carol'], guest: ['dave'] };
    expect(membersChange(before, { maintainer: ['carol'], guest: ['dave'] })).toEqual({ added: ['carol → maintainer'], removed: ['carol → developer'] });
    expect(membersChange(before, before)).toEqual({ added: [], removed: [] });
    expect(membersChange({}, { 'limited-guest': ['erin'] })).toEqual({ added: ['erin → limited-guest'], removed: [] });
  });
});
