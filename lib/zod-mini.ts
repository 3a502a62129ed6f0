// The schemas every function loads at cold start (config, events, the queue message) use
// zod/mini: the same validation engine as `zod`, without the chainable API that keeps every check,
// JSON Schema conversion and so on in a bundle (about 65 KB of the worker's). Classic zod
// registers its English messages when its first schema is built; zod/mini registers none, so
// importing this module does it: the same messages either way.
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
