import type { Pool } from 'pg';
import { z } from 'zod';
import { ServiceError } from '@shipgate/kit';

/** A movie as returned by the API. */
export interface Movie {
  id: number;
  title: string;
  description: string;
}

/** No movie has this id. */
export class MovieNotFoundError extends ServiceError {
  constructor(readonly id: number) {
    super(`No movie with id ${id}. List movies with GET /api/movies to find existing ids.`);
  }
}

/** Body of `POST /api/movies`. */
export const movieInputSchema = z
  .object({
    title: z.string({ error: 'title is required and must be a string' }).trim().min(1).max(255),
    description: z.string({ error: 'description must be a string' }).max(5000).default(''),
  })
  .strict();

/** Body of `PUT /api/movies/:id`: any subset of the fields, at least one. */
export const moviePatchSchema = z
  .object({
    title: z.string({ error: 'title must be a string' }).trim().min(1).max(255).optional(),
    description: z.string({ error: 'description must be a string' }).max(5000).optional(),
  })
  .strict()
  .refine((v) => v.title !== undefined || v.description !== undefined, {
    message: 'give at least one of title, description',
  });

/** Path parameter `:id`: a positive integer. */
export const movieIdSchema = z.coerce
  .number({ error: 'id must be a positive integer' })
  .int('id must be a positive integer')
  .positive('id must be a positive integer')
  .max(2_147_483_647, 'id is out of range');

/** Create input. */
export type MovieInput = z.output<typeof movieInputSchema>;
/** Update input. */
export type MoviePatch = z.output<typeof moviePatchSchema>;

const COLUMNS = 'id, title, description';

/** Lists movies by id; with `title`, only those whose title contains it (case-insensitive, literal match). */
export async function listMovies(db: Pool, title?: string): Promise<Movie[]> {
  if (title === undefined || title === '') {
    return (await db.query<Movie>(`SELECT ${COLUMNS} FROM movies ORDER BY id`)).rows;
  }
  const pattern = `%${title.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return (
    await db.query<Movie>(`SELECT ${COLUMNS} FROM movies WHERE title ILIKE $1 ESCAPE '\\' ORDER BY id`, [
      pattern,
    ])
  ).rows;
}

/** Inserts a movie and returns it with its id. */
export async function createMovie(db: Pool, input: MovieInput): Promise<Movie> {
  const { rows } = await db.query<Movie>(
    `INSERT INTO movies (title, description) VALUES ($1, $2) RETURNING ${COLUMNS}`,
    [input.title, input.description],
  );
  return rows[0];
}

/** Returns one movie; throws {@link MovieNotFoundError}. */
export async function getMovie(db: Pool, id: number): Promise<Movie> {
  const { rows } = await db.query<Movie>(`SELECT ${COLUMNS} FROM movies WHERE id = $1`, [id]);
  if (!rows[0]) throw new MovieNotFoundError(id);
  return rows[0];
}

/** Updates the given fields of a movie and returns it; throws {@link MovieNotFoundError}. */
export async function updateMovie(db: Pool, id: number, patch: MoviePatch): Promise<Movie> {
  const { rows } = await db.query<Movie>(
    `UPDATE movies SET title = COALESCE($2, title), description = COALESCE($3, description), updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, patch.title ?? null, patch.description ?? null],
  );
  if (!rows[0]) throw new MovieNotFoundError(id);
  return rows[0];
}

/** Deletes one movie; throws {@link MovieNotFoundError}. */
export async function deleteMovie(db: Pool, id: number): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM movies WHERE id = $1', [id]);
  if (!rowCount) throw new MovieNotFoundError(id);
}

/** Deletes every movie and returns how many were deleted. */
export async function deleteAllMovies(db: Pool): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM movies');
  return rowCount ?? 0;
}
