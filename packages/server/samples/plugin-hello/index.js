export function activate(api) {
  api.sidebar.add({ id: 'hello', title: 'Hello', render: () => 'Hello from a Wharf plugin' });
}
