/**
 * Bodies as a frontend test keeps them (snapshot fixtures), typed with the generated
 * types: `tsc --strict` proves that real answers fit them. A real FastAPI 422 carries
 * `ctx: {"min_length": 1}` and bills carry journal entries of any shape; if the contract
 * declared those objects closed, openapi-typescript would type them
 * `Record<string, never>` and these lines would not compile.
 */
import type { BillResponse, HttpValidationError } from "./schema.js";

export const emptyS3Key: HttpValidationError = {
  detail: [
    {
      type: "string_too_short",
      loc: ["body", "s3_key"],
      msg: "String should have at least 1 character",
      input: "",
      ctx: { min_length: 1 },
    },
  ],
};

export const journalEntries: BillResponse["journal_entries"] = [
  { account: "6100 Office supplies", debit: 24580, credit: 0 },
];
