import { panelSchema } from '@millrace/dashboards';
import { cleanup, fireEvent, render, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api.js';
import { APP } from '../context.js';
import CommandForm from './CommandForm.svelte';

const panel = panelSchema.parse({
  id: 'cmd',
  title: 'Command',
  type: 'command',
  grid: { x: 0, y: 0, w: 8, h: 8 },
  query: { source: 'mes-commands' },
  options: { targets: [{ machine: 'CAS_01', setpoint: 'speed_setpoint', unit: 'rpm' }] },
});
const commandId = '00000000-0000-4000-8000-000000000009';

function show(api: Record<string, unknown>, token = 'a-token') {
  const context = new Map<symbol, unknown>([[APP, { zone: 'UTC', token, api }]]);
  return render(CommandForm, { props: { panel }, context });
}
async function fill(container: HTMLElement) {
  await fireEvent.input(container.querySelector('[data-testid=command-value]')!, {
    target: { value: '1150' },
  });
  await fireEvent.input(container.querySelector('[data-testid=command-reason]')!, {
    target: { value: 'vibration high' },
  });
  await fireEvent.submit(container.querySelector('form')!);
}

describe('command form', () => {
  afterEach(cleanup);

  it("sends the command and shows the bridge's decision with its reason", async () => {
    const sendCommand = vi.fn().mockResolvedValue({ commandId, status: 'queued' });
    const mesCommands = vi.fn().mockResolvedValue({
      audit: [],
      recentResults: [
        {
          commandId,
          ts: 1,
          machine: 'CAS_01',
          setpoint: 'speed_setpoint',
          result: 'rejected',
          detail: 'step 250 rpm > max step 100 rpm',
        },
      ],
    });
    const { container } = show({ sendCommand, mesCommands });
    await fill(container);
    expect(sendCommand).toHaveBeenCalledWith({
      machine: 'CAS_01',
      setpoint: 'speed_setpoint',
      value: 1150,
      unit: 'rpm',
      reason: 'vibration high',
      dryRun: false,
    });
    await waitFor(
      () =>
        expect(container.querySelector('[data-testid=command-status]')?.textContent).toContain(
          'Rejected: step 250 rpm > max step 100 rpm',
        ),
      { timeout: 3_000 },
    );
    expect(container.querySelector('[data-testid=command-status]')?.getAttribute('role')).toBe('alert');
  });

  it('shows a 403 or 401 as not sent, and says a token is needed when there is none', async () => {
    const sendCommand = vi
      .fn()
      .mockRejectedValue(new ApiError('Not allowed (403): your token lacks the role for this.', 403, false));
    const { container } = show({ sendCommand, mesCommands: vi.fn() });
    await fill(container);
    await waitFor(() =>
      expect(container.querySelector('[data-testid=command-status]')?.textContent).toContain(
        'Not sent: Not allowed (403)',
      ),
    );
    cleanup();
    const unauthorised = vi
      .fn()
      .mockRejectedValue(new ApiError('Not signed in (401): set an API token in Settings.', 401, false));
    const none = show({ sendCommand: unauthorised, mesCommands: vi.fn() }, '');
    expect(none.container.textContent).toContain('operator role');
    await fill(none.container);
    await waitFor(() =>
      expect(none.container.querySelector('[data-testid=command-status]')?.textContent).toContain(
        'Not sent: Not signed in (401)',
      ),
    );
  });
});
