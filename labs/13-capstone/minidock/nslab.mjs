export * from '../../../dist/addon/index.js';
