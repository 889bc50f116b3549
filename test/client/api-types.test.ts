import { describe, expectTypeOf, it } from 'vitest';
import type { CheckView, CreateCheckRequest, IssuedCheck } from '../../client/types.js';
import type { CreateCheckResponse } from '../../functions/api/app.js';
import type { CheckView as ApiCheckView } from '../../functions/api/check-view.js';
import type { CreateCheckRequest as ApiCreateCheckRequest } from '../../functions/api/validation.js';

// The client declares the API's shapes itself (it ships alone, with no server code); these assertions
// keep the two declarations equal. They are checked by `npm run typecheck` (in .ci/run), which fails on a
// difference; the OpenAPI tests check the answers' values at run time.
describe("the client's types and the API's", () => {
  it('agree on the GET /checks/{checkId} answer', () => {
    expectTypeOf<CheckView>().toEqualTypeOf<ApiCheckView>();
  });

  it('agree on the POST /checks answer', () => {
    expectTypeOf<IssuedCheck>().toEqualTypeOf<CreateCheckResponse>();
  });

  it('agree on the POST /checks body, where the API has applied the default content type', () => {
    expectTypeOf<Required<Pick<CreateCheckRequest, 'contentType'>>>().toEqualTypeOf<
      Pick<ApiCreateCheckRequest, 'contentType'>
    >();
    expectTypeOf<Omit<CreateCheckRequest, 'contentType'>>().toEqualTypeOf<
      Omit<ApiCreateCheckRequest, 'contentType'>
    >();
  });
});
