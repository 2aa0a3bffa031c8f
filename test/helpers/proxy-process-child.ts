/** Child side of proxy-process.ts: Porthole on 127.0.0.1:0, logs to stdout, port over IPC. */
import { createPorthole } from '../../server/app.ts';
import { createLogger } from '../../server/common/log.ts';
import { resolveConfig } from '../../server/config/config.ts';

const config = resolveConfig({ log: { level: 'info' }, ...JSON.parse(process.argv[2] ?? '{}') });
const porthole = createPorthole({ config, logger: createLogger('info', process.stdout) });
const address = await porthole.listen(0, '127.0.0.1');
process.send?.({ port: address.port });
