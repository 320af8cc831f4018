/**
 * Telling the two kinds of `base: {tarball}` apart: an image archive (docker save, OCI layout) is
 * loaded, anything else is a root filesystem and imported as one layer. Both runtimes decide alike.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DevenvError } from '../../errors.js';

/** True when a tarball is an image archive (docker save / OCI layout) rather than a root filesystem. */
export async function isImageArchive(file: string): Promise<boolean> {
  const extract = tar.extract();
  const seen = { image: false };
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    if (name === 'manifest.json' || name === 'index.json' || name === 'oci-layout') seen.image = true;
    stream.resume();
    if (seen.image) extract.destroy();
    else next();
  });
  try {
    await pipeline(createReadStream(file), extract);
  } catch (error) {
    if (!seen.image)
      throw new DevenvError('DEVENV_ARCHIVE_INVALID', `${file} is not a tar archive`, { cause: error });
  }
  return seen.image;
}
