import { Type } from '@sinclair/typebox';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import type { ProductCodes } from './product-codes.js';
import { RegisterCodesRequest, RegisterCodesResult, ScanRequest, ScanResult } from './schemas.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };

/** Product codes over HTTP: register a batch, and scans (verify / claim). */
export function registerProductCodeRoutes(app: HostApp, codes: ProductCodes): void {
  app.post(
    '/v1/product-codes',
    {
      config: merchantOnly,
      bodyLimit: 512 * 1024,
      schema: { summary: 'Register a batch of product codes (code → SKU); a resent batch changes nothing', tags: ['product codes'], querystring: MerchantQuery, body: RegisterCodesRequest, response: { 200: RegisterCodesResult } },
    },
    async (request) => codes.register(merchantScope(request.principal, request.query.merchantId), request.body),
  );
  app.post(
    '/v1/scans',
    {
      config: merchantOnly,
      schema: {
        summary: 'Scan a product code: verify (genuine? what is it? changes nothing) or claim (at the sale, once)',
        description: 'A second claim of a code is rejected `already_claimed` with the first claim, and logged as a possible counterfeit. Idempotent by scanId.',
        tags: ['product codes'],
        querystring: MerchantQuery,
        body: ScanRequest,
        response: { 200: ScanResult, 201: ScanResult },
      },
    },
    async (request, reply) => {
      const result = await codes.scan(merchantScope(request.principal, request.query.merchantId), request.body);
      return reply.status(result.status === 'applied' ? 201 : 200).send(result);
    },
  );
}
