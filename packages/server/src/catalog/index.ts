export { CatalogService, type ServedCatalog, type CatalogServiceOptions } from './catalog-service.js';
export { CatalogRepository } from './catalog-repository.js';
export { catalogRoutes } from './routes.js';
