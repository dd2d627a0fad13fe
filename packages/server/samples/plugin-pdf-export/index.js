export function activate(api) {
  api.commands.register({ id: 'pdf-export.export', title: 'Export to PDF', run: (note) => api.export.pdf(note, { toc: true }) });
}
