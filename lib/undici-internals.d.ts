// The undici modules lib/undici.ts imports directly (CommonJS, no typings of their own).

declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export = AgentClass;
}

declare module 'undici/lib/dispatcher/dispatcher.js' {
  import type { Dispatcher } from 'undici';
  const DispatcherClass: typeof Dispatcher;
  export = DispatcherClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  const request: (this: Dispatcher, opts: object) => Promise<Dispatcher.ResponseData>;
  export = request;
}

declare module 'undici/lib/core/errors.js' {
  import type { errors as Errors } from 'undici';
  const errors: typeof Errors;
  export = errors;
}

declare module 'undici/lib/core/util.js' {
  const util: { parseURL(url: unknown): URL; parseOrigin(url: unknown): URL };
  export = util;
}

declare module 'undici/lib/web/fetch/formdata.js' {
  import type { FormData } from 'undici';
  const formdata: { FormData: typeof FormData };
  export = formdata;
}

declare module 'undici/lib/global.js' {
  import type { Dispatcher } from 'undici';
  const global: { getGlobalDispatcher(): Dispatcher };
  export = global;
}
