/** Who asked for a change through the API: the principal's token subject and username, for the audit trail. */
export interface Actor {
  /** `sub`: stable, the key to the user in the identity provider. */
  subject: string;
  /** `preferred_username`: what a reader of the audit trail recognises. */
  username: string;
}
