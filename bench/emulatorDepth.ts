/**
 * Does the emulator's cost per request grow with the queue's depth? moto 5.2's SQS
 * walks a queue's whole message list on every send and receive; the wrapper
 * (infra/local/cloud/fast_moto_server.py) keeps standard queues indexed so it should not.
 *
 * For each emulator (the wrapper, then plain moto_server for comparison) on its own
 * free port: a shallow queue (kept at ≤ 10 messages: what it receives is deleted, off
 * the clock) and a deep one, filled with SendMessageBatch to `depth` messages. Then,
 * alternating shallow and deep so that whatever else the machine does weighs on both,
 * it times a SendMessageBatch of ten and a ReceiveMessage of ten, `repeats` times each.
 * Receives on the deep queue use a long visibility timeout: what they take stays in
 * flight and still counts (moto's list holds it), so the depth only grows, by ten per
 * repeat. The figure is the p50 at depth over the p50 at 0, the worse of send and
 * receive. Plain moto is measured at a smaller depth (filling it to 10,000 takes
 * minutes, as its cost per message grows); the output says which.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { localSqs } from '../infra/local/cloud/localClients.js';
import { type RunningProcess, startMoto } from '../infra/local/cloud/moto.js';
import { findFreePort } from '../infra/local/cloud/net.js';
import { median, round } from './stats.js';

export interface DepthOptions {
  /** Messages in the deep queue for the wrapper. */
  readonly depth: number;
  /** Messages in the deep queue for plain moto_server (0: plain moto not measured). */
  readonly plainDepth: number;
  /** Timed sends and receives per queue. */
  readonly repeats: number;
  readonly say: (line: string) => void;
  /** Registers how to stop an emulator (the bench's Cleanup), so Ctrl+C stops it too. */
  readonly onEmulator?: (name: string, stop: () => Promise<void>) => void;
}

/** p50 in ms at depth 0 and at depth, and their ratio. */
export interface OperationDepth {
  readonly p50_ms_depth0: number;
  readonly p50_ms_deep: number;
  readonly ratio: number;
}

export interface EmulatorDepth {
  readonly depth: number;
  /** Messages (visible + in flight + delayed) in the deep queue when the timing ended. */
  readonly depth_at_end: number;
  readonly send: OperationDepth;
  readonly receive: OperationDepth;
  /** The worse of send and receive. */
  readonly ratio: number;
  readonly fill_s: number;
}

export interface DepthResult {
  readonly repeats: number;
  readonly wrapper: EmulatorDepth;
  readonly plain?: EmulatorDepth | undefined;
  /** Why plain moto was measured at a smaller depth, or not at all. */
  readonly plainNote: string;
}

/** Messages the size of a features message. */
function entries(tag: string): { Id: string; MessageBody: string }[] {
  return Array.from({ length: 10 }, (_, i) => ({
    Id: `m${i}`,
    MessageBody: JSON.stringify({
      id: `${Date.now()}-${tag}-${String(i).padStart(4, '0')}`,
      body: Array.from({ length: 10 }, (_, j) => j / 7),
    }),
  }));
}

/** The call's result and how long it took, in ms. */
async function timed<T>(call: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await call();
  return [performance.now() - started, result];
}

async function depthOf(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return (['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const)
    .map((name) => Number(Attributes?.[name] ?? 0))
    .reduce((a, b) => a + b, 0);
}

async function fill(sqs: SQSClient, queueUrl: string, depth: number, concurrency = 4): Promise<void> {
  let next = 0;
  const batches = Math.ceil(depth / 10);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches) {
        const batch = next++;
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(`fill${batch}`) }));
      }
    }),
  );
}

function operation(shallow: readonly number[], deep: readonly number[]): OperationDepth {
  const p50Shallow = median(shallow);
  const p50Deep = median(deep);
  return { p50_ms_depth0: round(p50Shallow, 2), p50_ms_deep: round(p50Deep, 2), ratio: round(p50Deep / p50Shallow, 2) };
}

/** Measures one running emulator. */
export async function measureDepth(endpoint: string, depth: number, repeats: number, say: (line: string) => void): Promise<EmulatorDepth> {
  const sqs = localSqs(endpoint);
  try {
    const tag = randomBytes(3).toString('hex');
    const attributes = { VisibilityTimeout: '900' };
    const shallowUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-depth0-${tag}`, Attributes: attributes })))
      .QueueUrl as string;
    const deepUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-deep-${tag}`, Attributes: attributes }))).QueueUrl as string;

    const cycle = async (queueUrl: string, deleteReceived: boolean) => {
      const [sendMs] = await timed(() => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(tag) })));
      const [receiveMs, received] = await timed(() =>
        sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })),
      );
      const messages = received.Messages ?? [];
      if (deleteReceived && messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      return { sendMs, receiveMs, received: messages.length };
    };

    // Warm-up: connections, moto's lazy imports, the first queue's code paths.
    for (let i = 0; i < 3; i++) await cycle(shallowUrl, true);

    const fillStarted = performance.now();
    await fill(sqs, deepUrl, depth);
    const fillS = (performance.now() - fillStarted) / 1000;
    say(`emulator depth: ${endpoint}: deep queue filled to ${await depthOf(sqs, deepUrl)} messages in ${fillS.toFixed(1)} s`);

    const shallow = { send: [] as number[], receive: [] as number[] };
    const deep = { send: [] as number[], receive: [] as number[] };
    for (let i = 0; i < repeats; i++) {
      const a = await cycle(shallowUrl, true);
      shallow.send.push(a.sendMs);
      shallow.receive.push(a.receiveMs);
      const b = await cycle(deepUrl, false);
      if (b.received !== 10) throw new Error(`the deep queue returned ${b.received} messages, not 10`);
      deep.send.push(b.sendMs);
      deep.receive.push(b.receiveMs);
    }
    const send = operation(shallow.send, deep.send);
    const receive = operation(shallow.receive, deep.receive);
    return {
      depth,
      depth_at_end: await depthOf(sqs, deepUrl),
      send,
      receive,
      ratio: Math.max(send.ratio, receive.ratio),
      fill_s: round(fillS, 1),
    };
  } finally {
    sqs.destroy();
  }
}

async function withEmulator<T>(fast: boolean, options: DepthOptions, run: (moto: RunningProcess) => Promise<T>): Promise<T> {
  const moto = await startMoto(await findFreePort(), { fast });
  const name = fast ? 'depth moto (wrapper)' : 'depth moto (plain)';
  options.onEmulator?.(name, () => moto.stop());
  try {
    return await run(moto);
  } finally {
    await moto.stop();
  }
}

/** The wrapper at `depth`, then plain moto_server at `plainDepth`, each on its own fresh emulator. */
export async function measureEmulatorDepth(options: DepthOptions): Promise<DepthResult> {
  const { say } = options;
  say(`emulator depth: the wrapper, depth 0 vs ${options.depth}, ${options.repeats} sends and receives each…`);
  const wrapper = await withEmulator(true, options, (moto) => measureDepth(moto.url, options.depth, options.repeats, say));
  say(`emulator depth: wrapper send ×${wrapper.send.ratio}, receive ×${wrapper.receive.ratio}`);
  if (options.plainDepth <= 0) return { repeats: options.repeats, wrapper, plainNote: 'plain moto_server not measured (--plain-depth 0)' };
  say(`emulator depth: plain moto_server, depth 0 vs ${options.plainDepth}…`);
  const plain = await withEmulator(false, options, (moto) => measureDepth(moto.url, options.plainDepth, options.repeats, say));
  say(`emulator depth: plain moto send ×${plain.send.ratio}, receive ×${plain.receive.ratio}`);
  const plainNote =
    options.plainDepth < options.depth
      ? `plain moto_server measured at depth ${options.plainDepth}, not ${options.depth}: its cost per message grows with depth, so filling it takes minutes`
      : `plain moto_server measured at depth ${options.plainDepth}`;
  return { repeats: options.repeats, wrapper, plain, plainNote };
}
