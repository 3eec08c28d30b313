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

/// The error wasm describes (a `ProfileError` of core/src/model/error.rs, as JSON).
export function createProfileError({ message, ...details }) {
  return new ProfileError(message, details);
}

export function profileErrorClass() {
  return ProfileError;
}

/// The error a loader rejects `load(id)` with for a failure of `vendor`'s (a `Failure` of a
/// BatchResult): the failure's code, message, vendor code and retryability.
export function failureError(failure, vendor) {
  const { code, message, vendorCode, retryable } = failure;
  return new ProfileError(message, { code, vendor, vendorCode, retryable });
}
