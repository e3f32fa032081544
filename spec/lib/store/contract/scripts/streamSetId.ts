import { script, type Script } from './types.ts';

export const streamSetIdScripts: Script[] = [
  script(
    'XSETID',
    ['XADD', '{p}s', '5-1', 'a', '1'],
    ['XSETID', '{p}s', '200-0'],
    ['XADD', '{p}s', '100-0', 'a', '1'],
    ['XADD', '{p}s', '200-1', 'a', '1'],
    ['XSETID', '{p}s', '1-1'],
    ['XSETID', '{p}none', '1-1'],
    ['XSETID', '{p}s', '300-0', '0'],
    ['XSETID', '{p}s', '300-0', '0-0'],
    ['XSETID', '{p}s', '300-0', 'ENTRIESADDED', '-1', 'MAXDELETEDID', '0-0'],
    ['XSETID', '{p}s', '300-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '400-0'],
    ['XSETID', '{p}s', '300-0', 'ENTRIESADDED', '0', 'MAXDELETEDID', '0-0'],
    ['XSETID', '{p}s', '300-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '250-0'],
    ['XSETID', '{p}s', 'bad'],
    ['XADD', '{p}s', '300-0', 'a', '1'],
    ['XADD', '{p}s', '300-1', 'a', '1'],
    ['XGROUP', 'HELP', 'x'],
    ['XINFO', 'HELP', 'x'],
    ['SET', '{p}str', 'v'],
    ['XSETID', '{p}str', '1-1'],
  ),
];
