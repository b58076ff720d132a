import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModuleFactory } from '../../platform/modules/host-module.js';
import { ProductCodes } from './product-codes.js';
import { registerProductCodeRoutes } from './routes.js';

/**
 * One-item-one-code as a host module: tables `product_codes`, `code_scans` (migration 052), the
 * `/v1/product-codes` and `/v1/scans` routes, and `code.scanned`.
 */
export const productCodesModule: HostModuleFactory = (platform) => {
  const codes = new ProductCodes(platform.db, platform.publishIn);
  return {
    name: 'product-codes',
    migrations: ['052_product_codes.sql'],
    routes: async (app) => registerProductCodeRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), codes),
    emits: ['code.scanned'],
  };
};
