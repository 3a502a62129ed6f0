// The schemas every function loads at cold start (config, events, the queue message) use
// zod/mini: the same validation engine as `zod`, without the chainable API that keeps every check,
// JSON Schema conversion and so on in a bundle (about 65 KB of the worker's). Classic zod
// registers its English messages when its first schema is built; zod/mini registers none, so
// importing this module does it: the same messages either way.
//
// The providers' and the commands' object schemas are wrapped in z.lazy(() => …): built on their
// first parse, not on import. A function holds every provider's schemas and the command schemas; a
// cold start then builds only those its first event uses (ingress never parses commands, the worker
// no webhook). The configuration's schema is not: every cold start parses it.
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
