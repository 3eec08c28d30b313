// The package's error class. It lives in JS because only JS can subclass Error: a real
// Error gives users `instanceof Error`, a stack, and `err.message` in every logger.

export class ProfileError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = "ProfileError";
    this.code = details.code ?? "vendor_error";
    if (details.vendor !== undefined) this.vendor = details.vendor;
    if (details.status !== undefined) this.status = details.status;
    if (details.vendorCode !== undefined) this.vendorCode = details.vendorCode;
    this.retryable = Boolean(details.retryable);
  }
}

export function createProfileError(code, message, vendor, status, vendorCode, retryable) {
  return new ProfileError(message, { code, vendor, status, vendorCode, retryable });
}

export function profileErrorClass() {
  return ProfileError;
}
