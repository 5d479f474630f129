import { render } from 'preact';
import { App } from './app.js';
import { takeTokenFromLocation } from './session.js';
import './styles.css';

takeTokenFromLocation();
render(<App />, document.getElementById('app') as HTMLElement);
