import { z } from 'zod';
import { isStrictSemver } from '../npm/semver.js';
import { CategorySchema, TagSchema } from './schemas.js';

export const SEARCH_SORTS = ['relevance', 'downloads', 'rating', 'updated'] as const;

/** `GET /api/v1/search`. Unknown categories or sorts, bad versions and huge pages are refused (400). */
export const SearchParamsSchema = z.object({
  q: z.string().max(200).default(''),
  category: CategorySchema.optional(),
  tag: TagSchema.optional(),
  minRating: z.coerce.number().min(0).max(5).optional(),
  compatibleWith: z
    .string()
    .refine((v) => isStrictSemver(v), 'compatibleWith must be a host version such as 0.3.1')
    .optional(),
  sort: z.enum(SEARCH_SORTS).default('relevance'),
  page: z.coerce.number().int().min(1).max(1000).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
});
export type SearchParams = z.infer<typeof SearchParamsSchema>;

export const SearchHitSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  package: z.string().nullable(),
  installs: z.number().int(),
  rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
  minHostVersion: z.string().nullable(),
  updatedAt: z.string(),
  score: z.number(),
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const SearchFacetsSchema = z.object({
  categories: z.record(z.string(), z.number().int()),
  /** The 30 most frequent tags of the result set. */
  tags: z.record(z.string(), z.number().int()),
  /** Listings whose average rating is at least 4, 3, 2, 1 (cumulative), and those without a rating. */
  rating: z.object({ '4+': z.number().int(), '3+': z.number().int(), '2+': z.number().int(), '1+': z.number().int(), unrated: z.number().int() }),
  /** Listings by the minimum host version they need (`any` when they state none). */
  compatibility: z.record(z.string(), z.number().int()),
});
export type SearchFacets = z.infer<typeof SearchFacetsSchema>;

export const SearchResultSchema = z.object({ hits: z.array(SearchHitSchema), total: z.number().int(), facets: SearchFacetsSchema });
export type SearchResult = z.infer<typeof SearchResultSchema>;
