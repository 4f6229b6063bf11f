export * from './audit';
export * from './common';
export * from './enums';
export * from './error';
export * from './project';
export * from './task';
export * from './worker';
export * from './workflow';
