/**
 * The contract stage's error type, in a module of its own so that code without a file system
 * (the MSW handlers) can read a bundled document's model without importing the bundler.
 * @module
 */

/** An error in the contract's files, naming the file and what to fix. */
export class ContractError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly pointer?: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}
