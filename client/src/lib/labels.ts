// Keys of task data as people read them: "articleText" → "Article text", "photo_urls" → "Photo urls".
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

/** Whether a value is a web address worth showing as a link (and an image as a picture). */
export function webAddress(value: unknown): { href: string; image: boolean } | null {
  if (typeof value !== 'string' || !/^https?:\/\/\S+$/.test(value)) return null;
  return { href: value, image: /\.(png|jpe?g|gif|webp|avif|svg)(\?.*)?$/i.test(value) };
}
