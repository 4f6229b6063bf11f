export { CLI_EXCEPTIONS, COMMANDS, type Command } from './commands';
export { EXIT } from './exit-codes';
export { helpText, run } from './run';
