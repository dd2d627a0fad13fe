export function countWords(text) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return { words: words.length, characters: text.length };
}

export function activate(api) {
  api.statusBar.add({ id: 'word-count', render: (note) => `${countWords(note.text).words} words` });
}
