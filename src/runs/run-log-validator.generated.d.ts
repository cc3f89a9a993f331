// Types of the validator scripts/compile-schema.js generates from schema/run-log.schema.json.
import type { ErrorObject } from 'ajv';

/** True when `record` is one valid run-log line; otherwise false, with the first error in `errors`. */
export declare function validate(record: unknown): boolean;
export declare namespace validate {
  let errors: ErrorObject[] | null | undefined;
}
export default validate;
