import { epochMs } from '@millrace/time';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { parseQuery } from '../http/validation.js';
import { TagCatalog } from './tag-catalog.js';
import { tagsQuerySchema, type TagEntry } from './tags.api.js';

@Controller('api/tags')
export class TagsController {
  constructor(@Inject(TagCatalog) private readonly catalog: TagCatalog) {}

  @Get()
  async list(@Query() query: unknown): Promise<{ tags: TagEntry[] }> {
    const { search, prefix } = parseQuery(tagsQuerySchema, query);
    const entries = await this.catalog.entries(epochMs(Date.now()));
    const needle = search?.toLowerCase();
    // Filtered here, not in SQL: the catalog is small and cached, and no input reaches a query.
    const tags = [...entries.values()].filter(
      (entry) =>
        (prefix === undefined || entry.path.startsWith(prefix)) &&
        (needle === undefined ||
          [entry.path, entry.unit, entry.description].some((text) => text?.toLowerCase().includes(needle))),
    );
    return { tags };
  }
}
