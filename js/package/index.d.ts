/// <reference lib="esnext.disposable" />
// The package's types, the same for every entry (Node ESM and CommonJS, bundlers, browsers):
// taken from the nodejs build's declarations, which need no DOM lib. The classes are
// disposable: `using client = new ProfileClient(…)` frees their memory.
export {
  ProfileClient,
  ProfileLoader,
  ProfileError,
  rongcloudSignature,
  tencentUserSig,
  oauth1Signature,
  vendors,
} from "./node/improfiles.js";
export type {
  Vendor,
  ErrorCode,
  Gender,
  Profile,
  Failure,
  Stats,
  Progress,
  BatchResult,
  ProfilePage,
  FetchInit,
  FetchLike,
  FetchResponseLike,
  AbortSignalLike,
  CommonConfig,
  RongCloudConfig,
  ProfileClientConfig,
  GetProfilesOptions,
  ListProfilesOptions,
  ListAllProfilesOptions,
  LoaderOptions,
  Ids,
  StreamProfilesOptions,
  ListPagesOptions,
  Limiter,
  LimiterPermit,
  LoaderCacheMap,
  VendorField,
  VendorMode,
  VendorInfo,
} from "./node/improfiles.js";
