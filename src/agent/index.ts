/**
 * genlab's UI-TARS runtime: prompts, a parser from model text to typed actions, coordinate mapping
 * (smart_resize), an OpenAI-compatible model client, a Playwright browser operator, an X11 computer operator
 * (XTEST over the pure-JS `x11` client), the agent loop and
 * trajectory records. Pure TypeScript; independent of the tensor engine.
 */
export type { Action, ActionType, Direction, ParsedPrediction, Target } from './actions.ts';
export { actionPoints, describeAction, directionVector, isTerminal } from './actions.ts';
export {
  IMAGE_FACTOR,
  MAX_PIXELS,
  MAX_RATIO,
  MIN_PIXELS,
  coordinateSpaceFor,
  defaultCoordinateMode,
  modelToNormalized,
  normalizedToModel,
  normalizedToScreen,
  pyRound,
  smartResize,
  spaceExtent,
} from './coordinates.ts';
export type { CoordinateMode, CoordinateSpace, ModelVersion, SmartResizeOptions } from './coordinates.ts';
export { ACTION_SPACES, buildPrompt, defaultPromptStyle } from './prompts.ts';
export type { PromptOptions, PromptStyle, PromptTemplate } from './prompts.ts';
export { ActionParseError, parseActions, parsePrediction, unescapePython } from './parser.ts';
export type { ParseOptions } from './parser.ts';
export {
  ModelError,
  OpenAIChatClient,
  apiKeyFromEnv,
  buildMessages,
  chatCompletionsUrl,
  historyText,
} from './model-client.ts';
export type {
  ChatContentPart,
  ChatMessage,
  Completion,
  HistoryTurn,
  MessageLayoutOptions,
  ModelClient,
  ModelErrorKind,
  OpenAIClientOptions,
} from './model-client.ts';
export { OperatorClosedError, UnsupportedActionError } from './operators/operator.ts';
export type { ExecuteResult, Operator, OperatorEvent, Screenshot } from './operators/operator.ts';
export { BrowserOperator, CHROMIUM_ARGS, DEFAULT_CHROMIUM, playwrightKey } from './operators/browser.ts';
export { ComputerOperator, boxDownscale } from './operators/computer.ts';
export { ActionDeclinedError, ConfirmingOperator } from './operators/confirm.ts';
export type { AskFn } from './operators/confirm.ts';
export type { ComputerOperatorOptions } from './operators/computer.ts';
export { X11Display, X11Error } from './operators/x11-display.ts';
export { humanPath, minimumJerk, mulberry32 } from './operators/mouse-path.ts';
export { charKeysym, findKeycode, keysymOf, spareKeycode } from './operators/x11-keys.ts';
export type { BrowserOperatorOptions, LaunchOptions } from './operators/browser.ts';
export { runAgent } from './loop.ts';
export type { AgentOptions, AgentResult } from './loop.ts';
export { TrajectoryWriter, renderHtml } from './trajectory.ts';
export type { ActionRecord, AgentError, AgentErrorKind, AgentStatus, StepRecord, TrajectoryRecord } from './trajectory.ts';
export { PngError, crc32, decodePng, encodePng, pngSize } from './png.ts';
export type { RgbaImage } from './png.ts';
export { annotatePng, drawActions } from './annotate.ts';
