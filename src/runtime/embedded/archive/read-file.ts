/** File reads the archive code shares with the store. */
export { hashFile } from '../store/digest.js';
export { readCapped as readCappedFile } from '../store/json-file.js';
