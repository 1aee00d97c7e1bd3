/** The only thing verigate needs to know about a host's user. */
export interface VerigateUser {
  id: string;
  email: string;
}
