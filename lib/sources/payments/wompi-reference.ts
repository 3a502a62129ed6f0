/**
 * WOMPI_REFERENCE_PATTERN's default (lib/config.ts), apart from wompi.ts so the configuration, which
 * every function loads, does not pull in the Wompi source and its schemas.
 */
export const DEFAULT_WOMPI_REFERENCE_PATTERN = '^(?<wolkvox_id>[^:]+):(?<obligation>[^:]+)(?::.*)?$';
