import { sql, type Kysely, type Migration } from 'kysely';
import { migrationDialect } from './0006-marketplace.js';

/**
 * PostgreSQL only: the full-text match reads a narrow copy of the index, `search_match`, instead of
 * `search_documents`.
 *
 * A one-word query can match 15-25 % of a large index, and the search statement fetches every match's
 * row. The rows of `search_documents` also carry what only the page of results displays (description,
 * keywords, JSON tags); `search_match` holds what the statement reads (the vector, the filter, facet
 * and sort columns, the tags as integer ids), about 70 % of the bytes per row. At 100,000 listings a
 * one-word statement went from 61 to 48 ms (bench/search/README.md).
 *
 * Its columns copied from `search_documents` are kept by a trigger, so that every write of a document
 * (upserts, counters) updates the copy in the same transaction whichever code path makes it; the text
 * part (vector, tag ids) is written by the index (storage/search/postgres-search.ts). Tags become ids from
 * `search_tag_ids`, never deleted (as `search_terms`): counting integers in the tag facet costs less
 * than counting text, and the facet joins the names of its top 30 only.
 */
export const searchMatch: Migration = {
  async up(db: Kysely<any>) {
    if (migrationDialect(db) !== 'postgres') return;
    await sql`create table search_tag_ids (id integer generated always as identity primary key, tag text not null unique)`.execute(db);
    await sql`create table search_match (
        doc_id text primary key references search_documents (doc_id) on delete cascade,
        kind text not null,
        popularity bigint not null,
        rating_sum integer not null,
        rating_count integer not null,
        category text,
        min_host_version text,
        min_host_key text,
        max_host_key text,
        name text not null,
        updated_at text not null,
        tag_ids integer[] not null default '{}',
        search_vector tsvector not null default ''::tsvector)`.execute(db);
    await sql`create index search_match_vector on search_match using gin (search_vector)`.execute(db);
    // Browsing a category without text reads its documents only (as search_documents_kind did).
    await sql`create index search_match_kind on search_match (kind, category)`.execute(db);
    await sql`create function search_match_copy() returns trigger language plpgsql as $$
      begin
        insert into search_match (doc_id, kind, popularity, rating_sum, rating_count, category, min_host_version, min_host_key, max_host_key, name, updated_at)
          values (new.doc_id, new.kind, new.popularity, new.rating_sum, new.rating_count, new.category, new.min_host_version, new.min_host_key, new.max_host_key, new.name, new.updated_at)
          on conflict (doc_id) do update set kind = excluded.kind, popularity = excluded.popularity, rating_sum = excluded.rating_sum,
            rating_count = excluded.rating_count, category = excluded.category, min_host_version = excluded.min_host_version,
            min_host_key = excluded.min_host_key, max_host_key = excluded.max_host_key, name = excluded.name, updated_at = excluded.updated_at;
        return null;
      end $$`.execute(db);
    await sql`create trigger search_match_copy after insert or update on search_documents for each row execute function search_match_copy()`.execute(db);

    await sql`insert into search_tag_ids (tag) select distinct tag from search_tags order by tag`.execute(db);
    await sql`insert into search_match
      select d.doc_id, d.kind, d.popularity, d.rating_sum, d.rating_count, d.category, d.min_host_version, d.min_host_key, d.max_host_key, d.name, d.updated_at,
        array(select t.id from search_tags s join search_tag_ids t on t.tag = s.tag where s.doc_id = d.doc_id), d.search_vector
      from search_documents d`.execute(db);
    // Dropping the vector drops its GIN index; `tag_list` (migration 0009) is replaced by `tag_ids`.
    await sql`alter table search_documents drop column search_vector, drop column tag_list`.execute(db);
  },
};
