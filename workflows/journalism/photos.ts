// The journalism workflow's machine work on files: the article document and photo folders a project
// starts with, and greyscale copies of the raw photos (sharp). Pure functions of a project's files.
import sharp from 'sharp';
import type { ProjectFiles } from '../../server/workflow/definition.js';

export const ARTICLE = 'Article.md';
export const RAW = 'Raw Photos';
export const PROCESSED = 'Processed Photos';

/** The project's article document and its two photo folders (the original's Google Doc and Drive folders). */
export async function createDocuments(files: ProjectFiles, title: string) {
  if (!(await files.exists(ARTICLE))) {
    await files.write(ARTICLE, `# ${title}\n\n(The reporter writes the article in the Reporting step.)\n`);
  }
  await files.makeFolder(RAW);
  await files.makeFolder(PROCESSED);
  return { articleDocument: ARTICLE, rawPhotoFolder: RAW, processedPhotoFolder: PROCESSED };
}

export type ProcessedPhoto = { raw: string; processed: string };

/** A greyscale copy of every raw photo, in the same format, under the processed folder. */
export async function greyscalePhotos(files: ProjectFiles): Promise<ProcessedPhoto[]> {
  const photos: ProcessedPhoto[] = [];
  for (const file of await files.list(RAW)) {
    const { data } = await files.read(file.path);
    // Transparency is flattened onto white paper; one grey channel is what print wants.
    const image = sharp(data).flatten({ background: '#ffffff' }).greyscale().toColourspace('b-w');
    const format = file.contentType === 'image/png' ? image.png() : image.jpeg({ quality: 90 });
    const processed = `${PROCESSED}/${file.path.slice(RAW.length + 1)}`;
    await files.write(processed, await format.toBuffer());
    photos.push({ raw: file.path, processed });
  }
  if (photos.length === 0) throw new Error(`There are no photos in "${RAW}" to adjust.`);
  return photos;
}
