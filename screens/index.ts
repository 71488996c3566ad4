import type { ScreenId } from '../src/store/types.js';
import { chatScreen } from './chat.js';
import { enginesScreen } from './engines.js';
import { gpuScreen } from './gpu.js';
import { helpScreen } from './help.js';
import { numaScreen } from './numa.js';
import { overview } from './overview.js';
import { storageScreen } from './storage.js';
import { recoveryScreen } from './recovery.js';
import { doctorScreen } from './doctor.js';
import { vmsScreen } from './vms.js';
import type { ScreenDef } from './types.js';

export const SCREENS: Record<ScreenId, ScreenDef> = {
  overview, gpu: gpuScreen, storage: storageScreen, numa: numaScreen, help: helpScreen, engines: enginesScreen, chat: chatScreen,
  recovery: recoveryScreen, doctor: doctorScreen, vms: vmsScreen,
};
/** tab order: the tab number is the screen's key (1–9, then 0) */
export const SCREEN_ORDER: ScreenId[] = ['overview', 'gpu', 'storage', 'numa', 'help', 'engines', 'chat', 'recovery', 'doctor', 'vms'];
