export { ProfileClient, ProfileLoader, rongcloudSignature, tencentUserSig, oauth1Signature } from "./web/improfiles.js";
export type {
  Vendor, ErrorCode, Gender, Profile, Failure, Stats, Progress, BatchResult, ProfilePage,
  FetchInit, FetchLike, CommonConfig, RongCloudConfig, ProfileClientConfig,
  GetProfilesOptions, ListProfilesOptions, ListAllProfilesOptions, LoaderOptions,
  Limiter, LimiterPermit, LoaderCacheMap,
} from "./web/improfiles.js";
import type { ErrorCode, Vendor } from "./web/improfiles.js";

export declare class ProfileError extends Error {
  constructor(message: string, details?: {
    code?: ErrorCode; vendor?: Vendor; status?: number; vendorCode?: number | string; retryable?: boolean;
  });
  readonly name: "ProfileError";
  code: ErrorCode;
  vendor?: Vendor;
  status?: number;
  vendorCode?: number | string;
  retryable: boolean;
}
