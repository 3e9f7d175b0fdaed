import { RequireRole, principalOf } from '@millrace/auth';
import type { QueryClient } from '@millrace/questdb';
import { TABLES, commandBodySchema, commandsQuerySchema, type MachineCommand } from '@millrace/schema';
import { nowUs, usToIso, type EpochUs } from '@millrace/time';
import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { parse } from '../http/validation.js';
import { Bridge } from '../bridge.js';

@Controller('api/mes/commands')
export class CommandsController {
  constructor(@Inject(Bridge) private readonly bridge: Bridge) {}

  /** Queued on `machine.commands.v1` like a model's command, so one path checks, executes and audits all. */
  @Post()
  @HttpCode(202)
  @RequireRole('operator')
  async send(@Body() body: unknown, @Req() request: FastifyRequest) {
    const input = parse(commandBodySchema, body, 'body');
    const principal = principalOf(request);
    const command: MachineCommand = {
      commandId: randomUUID(),
      ts: nowUs(),
      machine: input.machine,
      setpoint: input.setpoint,
      value: input.value,
      ...(input.unit === undefined ? {} : { unit: input.unit }),
      reason: input.reason,
      issuedBy: { kind: 'user', id: principal?.name ?? 'unknown' },
      dryRun: input.dryRun,
    };
    await this.bridge.queueCommand(command);
    return { commandId: command.commandId, status: 'queued' as const };
  }

  @Get()
  async audit(@Query() query: unknown) {
    const { limit } = parse(commandsQuerySchema, query, 'query');
    const client: QueryClient = this.bridge.questdb;
    const rows = await this.bridge.unavailableUnless(
      client.query<Record<string, unknown>>(
        `SELECT ts, command_id, machine, setpoint, value, reason, issued_by, model_version, result, detail ` +
          `FROM ${TABLES.machineCommands.name} ORDER BY ts DESC LIMIT ${limit}`,
      ),
      'QuestDB',
    );
    // The result row carries no who and why: take them from the command's own row (same command_id).
    const requests = new Map(rows.filter((row) => row.reason !== null).map((row) => [row.command_id, row]));
    return {
      audit: rows
        .map((row) => ({ ...requests.get(row.command_id), ...withoutNulls(row) }))
        .map((row) => ({
          ts: usToIso(row.ts as EpochUs),
          commandId: String(row.command_id),
          machine: String(row.machine),
          setpoint: String(row.setpoint),
          value: (row.value as number | null) ?? null,
          reason: (row.reason as string | null) ?? null,
          issuedBy: (row.issued_by as string | null) ?? null,
          modelVersion: (row.model_version as string | null) ?? null,
          result: String(row.result),
          detail: (row.detail as string | null) ?? null,
        })),
      recentResults: this.bridge.recentResults(limit),
    };
  }
}

function withoutNulls(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null && value !== undefined));
}
