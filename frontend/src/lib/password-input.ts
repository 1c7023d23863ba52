//! The server's password rules, checked in the browser first so mistakes are said next to the field:
//! 10 to 1024 characters; a change needs the current password, a new one that differs, typed twice.
//! The length is counted in characters (code points), as the server counts it. Pure.

export const MIN_PASSWORD_CHARS = 10;
export const MAX_PASSWORD_CHARS = 1024;

/** Why `password` cannot be a password, or null when it can. */
export function passwordProblem(password: string): string | null {
  const chars = [...password].length;
  if (chars === 0) return "Enter a password.";
  if (chars < MIN_PASSWORD_CHARS) return `Use at least ${MIN_PASSWORD_CHARS} characters (${chars} now).`;
  if (chars > MAX_PASSWORD_CHARS) return `Use at most ${MAX_PASSWORD_CHARS} characters.`;
  return null;
}

export interface PasswordChangeValues {
  current: string;
  next: string;
  confirm: string;
}

export type PasswordChangeErrors = Partial<Record<keyof PasswordChangeValues, string>>;

export function validatePasswordChange(values: PasswordChangeValues): PasswordChangeErrors {
  const errors: PasswordChangeErrors = {};
  if (!values.current) errors.current = "Enter your current password.";
  const problem = passwordProblem(values.next);
  if (problem) errors.next = problem;
  else if (values.next === values.current) errors.next = "Choose a password different from the current one.";
  if (!errors.next && values.confirm !== values.next) errors.confirm = "The two new passwords differ.";
  return errors;
}
